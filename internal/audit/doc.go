// Package audit finds full-scan SQLite operations that a boot script runs at
// every boot with nothing to stop them (post-mortem 2026-05-11, AI-5).
//
// Scripts are parsed with the real shell parser (mvdan.cc/sh, bash dialect,
// then POSIX if bash rejects the file), so comments, log messages and
// strings that merely mention "PRAGMA integrity_check" are never reported.
//
// What counts as an op:
//   - sqlite3 (or sqlite) with integrity_check, quick_check, VACUUM, REINDEX,
//     ANALYZE or .sha3sum in its SQL: arguments after the DB, -cmd values, a
//     here-doc or here-string, or text piped in from echo/printf/cat.
//     SQL comments are ignored.
//   - sha256sum, shasum, sha1sum, sha512sum, b2sum, md5sum, cksum and
//     openssl dgst/sha256 on a DB argument (.db, .sqlite, .sqlite3, .db3, or
//     a variable whose name contains "db"), or fed a DB by cat/pv/dd.
//   - python/perl/ruby/node/php one-liners (-c/-e or a here-doc) whose text
//     has an upper-case SQL keyword or hashlib plus a DB reference.
//   - ops inside $(...), <(...), subshells, blocks, loops and case arms.
//   - ops behind wrappers that run the command after them: exec, command,
//     nice, ionice, timeout, env VAR=x, sudo, gosu, su-exec, setsid,
//     stdbuf, chpst, busybox, xargs, runuser -u, and find's -exec,
//     -execdir, -ok and -okdir (a -size test before them is a size gate).
//   - ops in strings run as code: the arguments of eval, the action of a
//     trap on EXIT (or ERR, DEBUG, RETURN), and the string after -c of
//     sh/bash/dash/ash/zsh/ksh, su and runuser. The string is parsed as
//     shell and audited where the command stands (guarded if it is); a
//     finding points at the outer command and shows the inner one. Command
//     substitutions in the string are audited where they stand, not again;
//     a string that does not parse is skipped.
//
// What counts as "at boot": top-level code, and functions called from it,
// directly, behind a wrapper, through other functions, or through code
// strings as above. A function nobody calls is not reported. A function
// called only from guarded code is guarded. An indirect call whose command
// word is a variable ($fn, "${steps[@]}") runs every value the script
// assigns to that variable literally (fn=check_db, steps=(a b), for fn in
// a b, ${fn:-a}); a variable with no such value (read from the environment
// or computed) is not followed.
//
// Sourced files (Files only; Script reads nothing but its reader): the code
// of `. FILE` or `source FILE` runs where the `.` stands, guarded if it is,
// and the functions it defines can be called from anywhere. FILE may be
// literal, or built from $0 or BASH_SOURCE ($(dirname "$0")/x,
// ${BASH_SOURCE%/*}/x, $(cd "$(dirname …)" && pwd)) directly or through a
// variable assigned so (SCRIPT_DIR). A relative path is looked for from the
// sourcing file's directory, then from the audited file's directory and
// its parents up to the deploy directory, the nearest one holding fly.toml
// (the audited file's directory alone when there is none). An absolute
// path is a path in the image: its trailing components (for
// /app/scripts/db.sh: app/scripts/db.sh, scripts/db.sh, db.sh) are looked
// for in those directories, since the image's /app is usually the deploy
// directory. A file that is not found, not regular or does not parse is
// skipped without a word. Findings in a sourced file point at its own
// file:line and their reason starts with the `.` that read it ("sourced by
// entrypoint.sh:3 (. /app/scripts/db.sh)"). Each file's top level is
// audited once, so files that source themselves or each other end.
//
// Variables (best effort): the text an op is judged by (SQL arguments,
// -cmd values, here-docs, piped echo text, hashed paths, one-liners) is
// judged as written and with each variable replaced by every word the
// script assigns it, through other variables, up to a few levels and a
// budget of work; so `Q="PRAGMA integrity_check"; sqlite3 db "$Q"` is an
// op. Single quotes expand nothing; a variable the script never assigns
// stays as written.
//
// What counts as a guard (best effort):
//   - a size test: -ge/-gt/-lt/-le (or (( > >= < <= ))) between a measured
//     size (a stat/wc -c/du/ls/find result, a variable assigned one, or
//     one named like a size: size, bytes) and a threshold (a number, a
//     constant $((…)), or a variable named like one: threshold, limit,
//     min, max, or assigned numbers). It guards only where it bounds the
//     size from above, by at most 1 PiB: the then-branch of
//     `[ size -lt T ]`, the else-branch of `[ size -gt T ]`, the code after
//     `[ size -gt T ] && exit`. `[ size -gt 0 ]` holds for every database
//     and guards nothing on its then-branch. find -size, or a call to a
//     function named like a size check (db_too_big, is_large_db), guards
//     either way;
//   - an override variable: a name with ENFORCE, SKIP, ALLOW, ENABLE(D),
//     DISABLE(D), FORCE, or the op's own name (BOOT_ENFORCE_INTEGRITY_CHECK);
//   - a trusted-stamp call (trusted_stamp_match).
//
// The op is guarded when such a test guards the branch it runs in: the
// condition of an enclosing if or elif, or of an earlier branch of the same
// if chain, a case on an override variable, the left side of && or ||, or
// an early exit (`[ ... ] || return`, `if ...; then exit; fi`, exec CMD)
// earlier in the same list of statements. Overrides and stamps guard both
// ways: which way they run cannot be read from the script.
//
// The code is laid out by job: audit.go is the API (Audit, Script,
// Finding); walker.go walks the syntax tree and decides what runs at boot;
// wrappers.go looks past the commands that run another one; ops.go tells a
// full-scan op from its command and input; vars.go records and expands
// what the script assigns; codestrings.go audits strings
// run as code and indirect calls; guards.go recognises size gates,
// overrides and trusted stamps; source.go follows sourced files.
package audit
