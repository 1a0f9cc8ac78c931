/*
 * tests/nopipe.c: an LD_PRELOAD shim for the nopipe case (tests.sh builds
 * it with cc -shared). Every pipe2() fails with EMFILE, as when a worker
 * is out of file descriptors. The proxy makes its splice(2) pipes, and
 * nothing else, with pipe2(), so its bulk transfers must fall back to
 * copying through their buffers. Each refusal appends a byte to the file
 * named by $NOPIPE_MARK, so the case can tell the fallback was taken.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int
pipe2(int fds[2], int flags)
{
	const char *mark = getenv("NOPIPE_MARK");
	int fd;

	if (mark != NULL && (fd = open(mark, O_WRONLY | O_CREAT | O_APPEND |
	    O_CLOEXEC, 0600)) != -1) {
		if (write(fd, "x", 1) != 1) {
			/* the mark is a courtesy: the refusal stands */
		}
		close(fd);
	}
	(void)fds;
	(void)flags;
	errno = EMFILE;
	return -1;
}
