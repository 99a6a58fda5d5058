// Package flyctl runs flyctl as a child process: the escape path of the
// runbook, and the only code in jpops that changes production. It is careful
// by construction:
//
//   - Find resolves the binary (--flyctl, JPOPS_FLYCTL, then flyctl or fly on
//     PATH) to an absolute path, so a deploy directory cannot change which
//     program runs.
//   - Run starts the child in its own process group with stdin from the null
//     device, streams stdout and stderr live, line by line (split on \n and
//     \r), each line stripped of terminal control sequences and redacted
//     before anyone sees it. Lines longer than MaxLine bytes are cut at a word
//     boundary, marked, and the rest of that line is dropped. Blank lines are
//     skipped. Only the last TailLines lines are kept, so memory stays small
//     whatever the child prints.
//   - Stopping: an idle child (nothing on either stream for IdleTimeout) or
//     one past Timeout gets SIGINT on its group, then SIGKILL after KillGrace.
//     Cancelling ctx means the operator pressed Ctrl-C: SIGINT to the group,
//     output keeps streaming while flyctl shuts down, SIGKILL after
//     KillGrace. Spec.Interrupt lets the caller escalate by hand: the first
//     receive sends SIGINT, the second SIGKILL (send on it; closing it counts
//     as one interrupt).
//   - Whatever happens, including a panic in onLine, no process of the group
//     survives Run: the group is SIGKILLed on the way out. On Linux this
//     happens before the child is reaped, so the group ID cannot have been
//     reused by then.
//
// Run returns an *Error when flyctl exits non-zero, dies by a signal, is
// stopped for idleness or timeout, or cannot start; its message says what
// happened, shows the last lines and what to try next.
package flyctl
