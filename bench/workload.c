// SPDX-License-Identifier: GPL-2.0
/*
 * The workloads of the corpus tool: the processes it starts so that their
 * anonymous memory can be captured (capture.c), a cc1 compiling a generated
 * C file and a python3 holding a few tens of MiB of objects, and the
 * starting, finding and reaping of those processes.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "corpus.h"
#include "pagegen.h"
#include "util.h"
#include "workload.h"

/* ---- the children ---- */

/* Process group of the child being captured, for the signal handler. */
static volatile sig_atomic_t child_pgid;
/* SIGINT/SIGTERM/SIGHUP seen: the capture loops give up and clean up. */
static volatile sig_atomic_t stop_sig;

static void on_stop_signal(int sig)
{
	stop_sig = sig;
	if (child_pgid > 0)
		kill(-(pid_t)child_pgid, SIGKILL);
}

/* Kill the whole process group we started and reap all of it. */
static void kill_and_reap(pid_t pgid)
{
	int status;

	kill(-pgid, SIGKILL);
	kill(-pgid, SIGCONT);
	/*
	 * We are a child subreaper, so grandchildren (cc1) come back to us
	 * when the gcc driver dies and are reaped here as well.
	 */
	while (waitpid(-pgid, &status, 0) > 0 || errno == EINTR)
		;
	child_pgid = 0;
}

/* In the child: own process group, die with the parent, quiet stdio. */
static void child_setup(int out_fd)
{
	int null = open("/dev/null", O_RDWR);

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		if (out_fd < 0)
			dup2(null, STDOUT_FILENO);
	}
	if (out_fd >= 0)
		dup2(out_fd, STDOUT_FILENO);
	if (null > STDERR_FILENO)
		close(null);
}

static pid_t spawn(char *const argv[], int out_fd, int quiet_stderr,
		   const char *const env[])
{
	pid_t pid = fork();

	if (pid < 0) {
		pr_warn("fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		size_t i;

		child_setup(out_fd);
		if (quiet_stderr) {
			int null = open("/dev/null", O_WRONLY);

			if (null >= 0)
				dup2(null, STDERR_FILENO);
		}
		for (i = 0; env && env[i]; i += 2)
			setenv(env[i], env[i + 1], 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);	/* also in the parent: no race */
	child_pgid = pid;
	return pid;
}

/* Has our child @pid exited? Reaps it if so; *status gets its status. */
static int child_exited(pid_t pid, int *status)
{
	pid_t r = waitpid(pid, status, WNOHANG);

	return r == pid || (r < 0 && errno == ECHILD);
}

/* Wait up to @ms for our child @pid to exit; 1 if it did. */
static int wait_exit(pid_t pid, int *status, unsigned int ms)
{
	double end = now_sec() + ms / 1000.0;

	while (!child_exited(pid, status)) {
		if (now_sec() > end)
			return 0;
		msleep(5);
	}
	return 1;
}

static int comm_is(pid_t pid, const char *name)
{
	char path[64], buf[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	n = read_small(path, buf, sizeof(buf));
	if (n <= 0)
		return 0;
	if (buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return !strcmp(buf, name);
}

/* A child of @parent whose comm is @name, or 0. */
static pid_t find_child(pid_t parent, const char *name)
{
	char path[300], buf[4096], *s, *e;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)parent);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children",
			 (int)parent, de->d_name);
		if (read_small(path, buf, sizeof(buf)) < 0)
			goto scan;	/* no CONFIG_PROC_CHILDREN */
		for (s = buf; *s; s = e) {
			long pid = strtol(s, &e, 10);

			if (e == s)
				break;
			if (pid > 0 && comm_is((pid_t)pid, name)) {
				closedir(d);
				return (pid_t)pid;
			}
		}
	}
	closedir(d);
	return 0;

scan:
	/* slow path: look for a process whose parent is @parent */
	closedir(d);
	d = opendir("/proc");
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		long pid = strtol(de->d_name, &e, 10);
		int ppid;

		if (*e || pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if (read_small(path, buf, sizeof(buf)) <= 0)
			continue;
		s = strrchr(buf, ')');
		if (!s || sscanf(s + 1, " %*c %d", &ppid) != 1)
			continue;
		if (ppid == parent && comm_is((pid_t)pid, name)) {
			closedir(d);
			return (pid_t)pid;
		}
	}
	closedir(d);
	return 0;
}

/* ---- anon-cc: cc1 compiling a generated C file ---- */

/*
 * A C file of @units independent modules: macros, an enum, a struct, a
 * constant table, an inline helper and two functions each, with calls
 * between modules so the inliner and IPA passes have work to do.
 */
static int gen_c_source(const char *path, unsigned int units,
			unsigned long seed)
{
	FILE *f = fopen(path, "we");
	unsigned long r;
	unsigned int i, k;

	if (!f)
		return -errno;
	r = gen_stream(seed, 100);
	fprintf(f, "/* generated by zmm-corpus */\n");
	for (i = 0; i < units; i++) {
		unsigned int ns = 2 + (unsigned int)xrand_below(&r, 7);
		unsigned int nl = 8u << xrand_below(&r, 3);

		fprintf(f, "#define M_%u(a, b) ((((a) << %u) ^ ((b) + %u)) & "
			"0x7fffffffL)\n", i,
			1 + (unsigned int)xrand_below(&r, 7),
			1 + (unsigned int)xrand_below(&r, 9999));
		fprintf(f, "enum e_%u { E%u_A, E%u_B = %u, E%u_C, E%u_D };\n",
			i, i, i, 2 + (unsigned int)xrand_below(&r, 50), i, i);
		fprintf(f, "struct rec_%u {\n\tint id;\n\tunsigned int flags;\n"
			"\tlong weight;\n\tdouble score[%u];\n\tchar name[%u];\n"
			"\tstruct rec_%u *next;\n};\n", i, ns, nl, i);
		fprintf(f, "static const int tab_%u[32] = {", i);
		for (k = 0; k < 32; k++)
			fprintf(f, "%s%d", k ? ", " : " ",
				(int)xrand_below(&r, 1999) - 999);
		fprintf(f, " };\n");
		fprintf(f, "static inline long helper_%u(const struct rec_%u *r, "
			"int x)\n{\n\tlong v = r->weight + tab_%u[x & 31];\n"
			"\tint k;\n\n\tfor (k = 0; k < %u; k++)\n"
			"\t\tv += (long)(r->score[k] * (k + %u));\n"
			"\treturn M_%u(v, x);\n}\n", i, i, i, ns,
			1 + (unsigned int)xrand_below(&r, 5), i);
		if (!i)
			fprintf(f, "long calc_0(long a, long b)\n{\n"
				"\treturn a * 3 + b;\n}\n");
		else
			fprintf(f, "long calc_%u(long a, long b)\n{\n"
				"\treturn calc_%u(a ^ b, b + %u) + (a >> %u);\n"
				"}\n", i, (unsigned int)xrand_below(&r, i),
				1 + (unsigned int)xrand_below(&r, 99),
				1 + (unsigned int)xrand_below(&r, 9));
		fprintf(f, "long work_%u(struct rec_%u *r, int n, const int *in)\n"
			"{\n\tlong acc = %u;\n\tint k;\n\n"
			"\tfor (k = 0; k < n; k++) {\n"
			"\t\tswitch ((in[k] + k) & 7) {\n"
			"\t\tcase 0: acc += helper_%u(r, in[k]); break;\n"
			"\t\tcase 1: acc ^= M_%u(acc, in[k]); break;\n"
			"\t\tcase 2: r->flags |= 1u << (k & 31); break;\n"
			"\t\tcase 3: acc -= tab_%u[(k * %u) & 31]; break;\n"
			"\t\tcase 4: if (acc > %u) acc /= 3; else acc *= 5; "
			"break;\n"
			"\t\tcase 5: r->score[k %% %u] += acc * 0.5; break;\n"
			"\t\tcase 6: acc += calc_%u(acc, k); break;\n"
			"\t\tdefault: acc = ~acc; if (r->next) "
			"acc += r->next->id; break;\n"
			"\t\t}\n\t}\n"
			"\tfor (k = 0; k < %u - 1 && r->name[k]; k++)\n"
			"\t\tacc += r->name[k] * E%u_C;\n"
			"\treturn acc + r->id;\n}\n",
			i, i, (unsigned int)xrand_below(&r, 1u << 20), i, i, i,
			3 + (unsigned int)xrand_below(&r, 15),
			100 + (unsigned int)xrand_below(&r, 100000), ns,
			(unsigned int)xrand_below(&r, i + 1), nl, i);
	}
	if (ferror(f) | fclose(f))
		return -EIO;
	return 0;
}

/* Remove the (flat) temporary directory and everything in it. */
static void remove_dir(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d) {
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") ||
			    !strcmp(de->d_name, ".."))
				continue;
			unlinkat(dirfd(d), de->d_name, 0);
		}
		closedir(d);
	}
	rmdir(dir);
}

/*
 * Run gcc -O2 -c on a generated file and capture cc1 once it is in the
 * middle end (some seconds in) and has at least 1.25x the cap of anonymous
 * memory. The file is sized so that parsing alone gets cc1 there.
 */
int workload_cc(struct zmm_corpus_writer *w, unsigned int max_mib,
		unsigned long seed)
{
	const char *tmpdir = getenv("TMPDIR");
	char dir[PATH_MAX], src[PATH_MAX + 8], obj[PATH_MAX + 8];
	unsigned long units = (unsigned long)max_mib * 14;
	long target_kib = ((long)max_mib + max_mib / 4) * 1024;
	double min_wait = 2.5, max_wait = 60;
	unsigned long r;
	int attempt, ret = -ENODATA;

	if (units < 200)
		units = 200;
	if (units > 8000)
		units = 8000;
	r = gen_stream(seed, ZMM_CORPUS_ANON_CC);
	snprintf(dir, sizeof(dir), "%s/zmm-corpus.XXXXXX",
		 tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(dir)) {
		ret = -errno;
		pr_warn("anon-cc: mkdtemp %s: %s", dir, strerror(errno));
		return ret;
	}
	snprintf(src, sizeof(src), "%s/gen.c", dir);
	snprintf(obj, sizeof(obj), "%s/gen.o", dir);
	ret = gen_c_source(src, (unsigned int)units, seed);
	if (ret) {
		pr_warn("anon-cc: writing %s: %s", src, strerror(-ret));
		goto out;
	}

	for (attempt = 0; attempt < 2; attempt++) {
		char *argv[] = { "gcc", "-O2", "-c", "-o", obj, src, NULL };
		const char *env[] = { "TMPDIR", dir, "LC_ALL", "C", NULL };
		long rss, max_rss = 0;
		double t0 = now_sec(), t;
		pid_t drv, cc1 = 0;
		int status;

		drv = spawn(argv, -1, 1, env);
		if (drv < 0) {
			ret = -EAGAIN;
			break;
		}
		ret = -ENODATA;
		for (;;) {
			if (stop_sig) {
				ret = -EINTR;
				break;
			}
			t = now_sec() - t0;
			if (!cc1)
				cc1 = find_child(drv, "cc1");
			if (cc1) {
				rss = capture_rss_anon_kib(cc1);
				if (rss < 0) {
					pr_warn("anon-cc: cc1 exited after "
						"%.1fs before capture", t);
					break;
				}
				if (rss > max_rss)
					max_rss = rss;
				if ((rss >= target_kib && t >= min_wait) ||
				    t >= max_wait) {
					ret = capture_process(w, cc1,
						ZMM_CORPUS_ANON_CC, max_mib,
						&r, t0);
					break;
				}
			} else if (t > 10) {
				pr_warn("anon-cc: no cc1 under gcc pid %d",
					(int)drv);
				break;
			}
			if (child_exited(drv, &status)) {
				if (WIFEXITED(status) &&
				    WEXITSTATUS(status) == 127) {
					pr_warn("anon-cc: cannot run gcc");
					ret = -ENOENT;
				} else if (!cc1) {
					pr_warn("anon-cc: gcc exited early");
				}
				break;
			}
			msleep(10);
		}
		kill_and_reap(drv);
		if (ret != -ENODATA || !max_rss || stop_sig)
			break;
		/* cc1 was quicker than expected: retry with a lower bar */
		target_kib = max_rss / 2;
		min_wait = 0;
	}
out:
	remove_dir(dir);
	return ret;
}

/* ---- anon-py: a python3 process full of objects ---- */

static const char py_script[] =
	"import os, sys, time, random\n"
	"mib, seed = int(sys.argv[1]), int(sys.argv[2])\n"
	"rnd = random.Random(seed)\n"
	"def anon_kib():\n"
	"    with open('/proc/self/status') as f:\n"
	"        for l in f:\n"
	"            if l.startswith('RssAnon:'):\n"
	"                return int(l.split()[1])\n"
	"    return 1 << 40\n"
	"syl = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'shi', 'vo', 'en', 'ar',\n"
	"       'be', 'dor', 'ix', 'um', 'pel', 'qua', 'st', 'ri', 'o', 'y']\n"
	"class Rec:\n"
	"    def __init__(self, i, name, score, tags):\n"
	"        self.id = i\n"
	"        self.name = name\n"
	"        self.score = score\n"
	"        self.tags = tags\n"
	"        self.children = []\n"
	"        self.parent = None\n"
	"names, index = {}, {}\n"
	"recs, ints, floats, blobs, table = [], [], [], [], []\n"
	"i = 0\n"
	"while anon_kib() < mib * 1024:\n"
	"    for _ in range(4000):\n"
	"        n = rnd.randint(2, 5)\n"
	"        w = ''.join(rnd.choice(syl) for _ in range(n))\n"
	"        key = '%s_%d' % (w, i)\n"
	"        v = rnd.randint(0, 10**6)\n"
	"        names[key] = '%s %d' % (w.capitalize(), v)\n"
	"        r = Rec(i, key, rnd.random() * 100,\n"
	"                [rnd.choice(syl) for _ in range(rnd.randint(0, 4))])\n"
	"        if recs and rnd.random() < 0.3:\n"
	"            p = recs[rnd.randrange(len(recs))]\n"
	"            r.parent = p\n"
	"            p.children.append(r)\n"
	"        recs.append(r)\n"
	"        ints.append(rnd.randint(-2**31, 2**31))\n"
	"        ints.append(i * 7)\n"
	"        floats.append(rnd.gauss(0.0, 1e3))\n"
	"        index.setdefault(w, []).append(i)\n"
	"        if i % 16 == 0:\n"
	"            table.append({'id': i, 'name': key, 'ok': i % 3 == 0,\n"
	"                          'vals': (i, i / 3.0, str(i), [i] * 3)})\n"
	"        if i % 64 == 0:\n"
	"            b = rnd.getrandbits(256).to_bytes(32, 'little')\n"
	"            blobs.append(b)\n"
	"        i += 1\n"
	"sys.stdout.write('ready %d\\n' % os.getpid())\n"
	"sys.stdout.flush()\n"
	"time.sleep(600)\n";

/* Read one line from @fd within @timeout_ms. */
static int read_line(int fd, char *buf, size_t size, unsigned int timeout_ms)
{
	double end = now_sec() + timeout_ms / 1000.0;
	size_t len = 0;

	while (len < size - 1) {
		struct pollfd p = { fd, POLLIN, 0 };
		int left = (int)((end - now_sec()) * 1000);
		ssize_t n;

		if (stop_sig)
			return -EINTR;
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -ETIMEDOUT;
		n = read(fd, buf + len, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		if (buf[len] == '\n')
			break;
		len++;
	}
	buf[len] = '\0';
	return 0;
}

int workload_py(struct zmm_corpus_writer *w, unsigned int max_mib,
		unsigned long seed)
{
	char mib[16], sd[32], hs[16], line[128];
	char *argv[] = { "python3", "-c", (char *)py_script, mib, sd, NULL };
	const char *env[] = { "PYTHONHASHSEED", hs, NULL };
	double t0 = now_sec();
	int fds[2], status, ret;
	unsigned long r;
	pid_t child, pid;
	long p;

	r = gen_stream(seed, ZMM_CORPUS_ANON_PY);
	snprintf(mib, sizeof(mib), "%u", max_mib + max_mib / 4 + 4);
	snprintf(sd, sizeof(sd), "%lu", seed);
	snprintf(hs, sizeof(hs), "%lu", seed % 4294967295UL);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	child = spawn(argv, fds[1], 0, env);
	close(fds[1]);
	if (child < 0) {
		close(fds[0]);
		return -EAGAIN;
	}
	ret = read_line(fds[0], line, sizeof(line), 90000);
	close(fds[0]);
	if (ret) {
		if (ret == -EPIPE && wait_exit(child, &status, 2000) &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 127) {
			pr_warn("anon-py: cannot run python3");
			ret = -ENOENT;
		} else if (ret != -EINTR) {
			pr_warn("anon-py: no ready line from python3: %s",
				strerror(-ret));
		}
		goto out;
	}
	/* normally @child itself (wrappers exec), else one of its group */
	if (sscanf(line, "ready %ld", &p) != 1 || p <= 0 ||
	    getpgid((pid_t)p) != child) {
		pr_warn("anon-py: unexpected line from python3: '%s'", line);
		ret = -EPROTO;
		goto out;
	}
	pid = (pid_t)p;
	ret = capture_process(w, pid, ZMM_CORPUS_ANON_PY, max_mib, &r, t0);
out:
	kill_and_reap(child);
	return ret;
}

/* ---- signals ---- */

static void set_stop_action(void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

void workload_catch_signals(void)
{
	set_stop_action(on_stop_signal);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
}

int workload_release_signals(void)
{
	set_stop_action(SIG_DFL);
	return stop_sig;
}

int workload_signal(void)
{
	return stop_sig;
}
