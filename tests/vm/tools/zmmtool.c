// SPDX-License-Identifier: GPL-2.0
/*
 * zmmtool: guest helpers for the zmm VM tests, for what busybox cannot
 * do.  Built static by scripts/initramfs.sh into /bin/zmmtool.
 *
 *   zmmtool punch FILE OFFSET LEN
 *	fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) on FILE.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_ul(const char *s, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 0);
	return errno || end == s || *end ? -1 : 0;
}

static int punch(int argc, char **argv)
{
	unsigned long off, len;
	int fd, ret = 0;

	if (argc != 5 || parse_ul(argv[3], &off) || parse_ul(argv[4], &len)) {
		fprintf(stderr, "usage: zmmtool punch FILE OFFSET LEN\n");
		return 2;
	}
	fd = open(argv[2], O_RDWR);
	if (fd < 0) {
		perror(argv[2]);
		return 2;
	}
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      off, len)) {
		perror("fallocate(PUNCH_HOLE)");
		ret = 2;
	}
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "punch"))
		return punch(argc, argv);
	fprintf(stderr, "usage: zmmtool punch FILE OFFSET LEN\n");
	return 2;
}
