# The PAC corpus: tests/pac/*.pac with their expected answers, run by
# tests/pac_run (our interpreter, with a fixed DNS table and clock), and
# compared with pacparser (Debian's, an independent implementation) when
# it is installed.

CASES="${CASES:-} pac_corpus pac_pactester"

t_pac_corpus() {
	if [ ! -x tests/pac_run ]; then
		fail pac_corpus "tests/pac_run was not built (make unit)"
		return
	fi
	_files=0 _bad=
	for _pac in tests/pac/*.pac; do
		_exp=${_pac%.pac}.expect
		[ -f "$_exp" ] || continue
		_files=$((_files + 1))
		if ! tests/pac_run "$_pac" "$_exp" >"$T/pac_run.out" 2>&1; then
			_bad="$_bad $(basename "$_pac"): $(grep -v 'passed' "$T/pac_run.out" | head -n 2 | tr '\n' ' ')"
		fi
	done
	if [ "$_files" -lt 50 ]; then
		fail pac_corpus "only $_files PAC files with expectations (want 50 or more)"
	elif [ -n "$_bad" ]; then
		fail pac_corpus "$_bad"
	else
		pass pac_corpus
	fi
}

t_pac_pactester() {
	sh tests/pac/compare.sh >"$T/pac_compare.out" 2>&1
	_rc=$?
	if grep -q 'skipped' "$T/pac_compare.out" &&
	    ! grep -q 'passed' "$T/pac_compare.out"; then
		skip pac_pactester "$(head -n 1 "$T/pac_compare.out")"
	elif [ $_rc -ne 0 ]; then
		fail pac_pactester "pacparser disagrees: $(grep -iE 'FAIL|differ' "$T/pac_compare.out" | head -n 3 | tr '\n' ' ')"
	else
		pass pac_pactester
		echo "     pacparser agrees: $(tail -n 1 "$T/pac_compare.out" |
		    sed 's/ passed, .*//') lines"
	fi
}
