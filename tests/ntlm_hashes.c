/*
 * ntlm_hashes USER DOMAIN PASSWORD: prints the three lines cntlm -H
 * prints, so that tests.sh can compare them with cntlm's. As cntlm's -u,
 * USER may be "DOMAIN\user" or "user@domain" when DOMAIN is empty.
 */
#include <stdio.h>

#include "proxy.h"

int
main(int argc, char *argv[])
{
	struct ntlm_creds c;
	char user[NTLM_NAME_MAX], domain[NTLM_NAME_MAX], out[1024];
	const char *err = "usage: ntlm_hashes user domain password";

	if (argc != 4)
		goto fail;
	strlcpy_p(domain, argv[2], sizeof(domain));
	if (ntlm_split_user(argv[1], user, sizeof(user), domain,
	    sizeof(domain)) == -1) {
		err = "bad user name";
		goto fail;
	}
	if (argv[2][0] != '\0')
		strlcpy_p(domain, argv[2], sizeof(domain));
	if (ntlm_creds_init(&c, user, domain, NULL, &err) == -1 ||
	    ntlm_creds_set_password(&c, argv[3], &err) == -1 ||
	    ntlm_format_hashes(&c, out, sizeof(out)) < 0)
		goto fail;
	ntlm_wipe(&c, sizeof(c));
	fputs(out, stdout);
	ntlm_wipe(out, sizeof(out));
	return 0;
fail:
	fprintf(stderr, "ntlm_hashes: %s\n", err);
	return 1;
}
