/* main.c: the program; everything else is in proxy_main() for embedding. */
#include "proxy.h"

int
main(int argc, char *argv[])
{
	return proxy_main(argc, argv);
}
