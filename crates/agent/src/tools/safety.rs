//! Which commands are "known safe" (read-only, so `untrusted` runs them without asking), how a
//! command is shown to people, and which prefix rule to propose for it.
//!
//! A command is known safe when it is a plain argv, or a `bash -lc`/`sh -c` script made only of
//! words joined by `&&`, `||`, `;` or `|`, and every part is on a short read-only allowlist
//! (`ls`, `cat`, `pwd`, `echo`, `grep`, `rg`, `head`, `tail`, `wc`, `git status|log|diff|show`, …)
//! without flags that write files or run other programs. Any redirection, substitution,
//! globbing or subshell makes the script unsafe. Programs (and the shell of a script) count only
//! when named bare (found through `PATH`) or by a path in a fixed system directory: `./ls` or
//! `/repo/bin/cat` could be anything.

use std::path::Path;

use codex_app_server_protocol::v2::CommandAction;

/// Programs that only read, with any arguments (apart from the unsafe flags checked below).
const READ_ONLY_PROGRAMS: &[&str] = &[
    "ls", "cat", "pwd", "echo", "printf", "grep", "egrep", "fgrep", "rg", "head", "tail", "wc",
    "true", "false", "nl", "which", "whoami", "id", "uname", "basename", "dirname", "stat", "du",
    "df", "realpath", "readlink", "cut", "tr",
];

/// Directories whose programs are the system's own (a program named by a path elsewhere is
/// never known safe).
const SYSTEM_DIRS: &[&str] = &["/bin", "/usr/bin", "/sbin", "/usr/sbin"];

/// Read-only `git` subcommands.
const READ_ONLY_GIT: &[&str] = &["status", "log", "diff", "show", "blame", "ls-files", "rev-parse"];

/// Whether `argv` (a program and its arguments) is known to be read-only.
pub fn is_known_safe(argv: &[String]) -> bool {
    match shell_script(argv) {
        Some(script) => script_parts(script).is_some_and(|parts| {
            !parts.is_empty() && parts.iter().all(|part| is_safe_simple_command(part))
        }),
        None => is_safe_simple_command(argv),
    }
}

/// The script of `bash -lc SCRIPT` / `sh -c SCRIPT`, if `argv` is one (the shell named bare or
/// from a system directory, see [`system_program`]).
pub fn shell_script(argv: &[String]) -> Option<&str> {
    match argv {
        [shell, flag, script]
            if matches!(system_program(shell), Some("bash" | "sh" | "zsh" | "dash"))
                && matches!(flag.as_str(), "-c" | "-lc") =>
        {
            Some(script)
        }
        _ => None,
    }
}

/// The name of `program` when it is a bare name (resolved through `PATH`) or a path directly in
/// one of [`SYSTEM_DIRS`]; `None` for any other path (`./ls`, `/repo/bin/cat`, `bin/sh`).
fn system_program(program: &str) -> Option<&str> {
    match program.rsplit_once('/') {
        None => (!program.is_empty()).then_some(program),
        Some((dir, name)) => (SYSTEM_DIRS.contains(&dir) && !name.is_empty()).then_some(name),
    }
}

fn basename(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

/// Splits a simple script into its commands; `None` when it uses anything but words, quotes and
/// the `&&`, `||`, `;`, `|` operators.
fn script_parts(script: &str) -> Option<Vec<Vec<String>>> {
    if script.chars().any(|c| {
        matches!(
            c,
            '>' | '<'
                | '$'
                | '`'
                | '('
                | ')'
                | '{'
                | '}'
                | '*'
                | '?'
                | '['
                | ']'
                | '~'
                | '!'
                | '\n'
                | '\\'
                | '#'
                | '='
        )
    }) {
        return None;
    }
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = script.chars().peekable();
    let (mut single, mut double) = (false, false);
    while let Some(c) = chars.next() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '&' | '|' | ';' if !single && !double => {
                if c == '&' && chars.peek() != Some(&'&') {
                    return None; // background job
                }
                if matches!(c, '&' | '|') && chars.peek() == Some(&c) {
                    chars.next();
                }
                parts.push(shlex::split(&current)?);
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if single || double {
        return None;
    }
    parts.push(shlex::split(&current)?);
    if parts.iter().any(Vec::is_empty) {
        return None;
    }
    Some(parts)
}

fn is_safe_simple_command(argv: &[String]) -> bool {
    let Some((program, args)) = argv.split_first() else { return false };
    let Some(program) = system_program(program) else { return false };
    // `--flag`, `--flag=value`, or an unambiguous abbreviation (`--out=` for `--output`), and
    // single-dash flags spelled alone (`-exec` for find, `-z`).
    let has = |flags: &[&str]| {
        args.iter().any(|arg| {
            let name = arg.split_once('=').map_or(arg.as_str(), |(name, _)| name);
            flags.iter().any(|flag| {
                name == *flag
                    || (name.len() > 3 && name.starts_with("--") && flag.starts_with(name))
            })
        })
    };
    // A short flag letter inside a cluster (`-zi` holds `-z`).
    let has_short = |letter: char| {
        args.iter().any(|arg| {
            arg.len() > 1
                && arg.starts_with('-')
                && !arg.starts_with("--")
                && arg[1..].contains(letter)
        })
    };
    match program {
        "git" => {
            let Some(sub) = args.iter().find(|arg| !arg.starts_with('-')) else { return false };
            READ_ONLY_GIT.contains(&sub.as_str())
                && !args.first().is_some_and(|first| first.starts_with('-'))
                && !has(&["--output", "--ext-diff", "--textconv", "--exec"])
        }
        "rg" => !has(&["--pre", "--hostname-bin", "--search-zip"]) && !has_short('z'),
        "sed" => {
            matches!(args, [flag, expr] | [flag, expr, _] if flag == "-n" && expr.chars().all(|c| c.is_ascii_digit() || matches!(c, ',' | 'p')) && expr.ends_with('p'))
        }
        "find" => !has(&[
            "-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0", "-fprintf",
            "-fls",
        ]),
        _ => READ_ONLY_PROGRAMS.contains(&program),
    }
}

/// How a command is shown in items and approval prompts: argv joined with shell quoting, or
/// the script itself for `bash -lc SCRIPT`.
pub fn display_command(argv: &[String]) -> String {
    if let Some(script) = shell_script(argv) {
        return format!(
            "{} {} {}",
            argv[0],
            argv[1],
            shlex::try_quote(script).map(|q| q.into_owned()).unwrap_or_else(|_| script.to_owned())
        );
    }
    shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" "))
}

/// The prefix rule to propose with `acceptWithExecpolicyAmendment`: the command's words when it
/// is one simple command (`bash -lc "cargo test"` proposes `["cargo", "test"]`), else `None`.
pub fn proposed_prefix(argv: &[String]) -> Option<Vec<String>> {
    let words = match shell_script(argv) {
        Some(script) => {
            let mut parts = script_parts(script)?;
            if parts.len() != 1 {
                return None;
            }
            parts.pop()?
        }
        None => argv.to_vec(),
    };
    (!words.is_empty()).then_some(words)
}

/// The words of `argv` for prefix-rule matching (a one-command script counts as its words).
pub fn rule_words(argv: &[String]) -> Vec<String> {
    proposed_prefix(argv).unwrap_or_else(|| argv.to_vec())
}

/// A best-effort reading of what a command does, for display (`commandActions`): `cat F` reads,
/// `ls` lists, `grep`/`rg` search; anything else (or an unparsable script) is `unknown`.
pub fn command_actions(argv: &[String]) -> Vec<CommandAction> {
    let parts = match shell_script(argv) {
        Some(script) => match script_parts(script) {
            Some(parts) => parts,
            None => return vec![CommandAction::Unknown { command: display_command(argv) }],
        },
        None => vec![argv.to_vec()],
    };
    parts.iter().map(|part| action_of(part)).collect()
}

fn action_of(argv: &[String]) -> CommandAction {
    let command = display_command(argv);
    let Some((program, args)) = argv.split_first() else {
        return CommandAction::Unknown { command };
    };
    let operands: Vec<&String> = args.iter().filter(|arg| !arg.starts_with('-')).collect();
    match basename(program) {
        "cat" | "head" | "tail" | "nl" if operands.len() == 1 => {
            let path = operands[0].clone();
            let name = Path::new(&path)
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.clone());
            CommandAction::Read { command, name, path }
        }
        "ls" | "tree" => {
            CommandAction::ListFiles { command, path: operands.first().map(|p| (*p).clone()) }
        }
        "grep" | "egrep" | "fgrep" | "rg" => CommandAction::Search {
            command,
            query: operands.first().map(|q| (*q).clone()),
            path: operands.get(1).map(|p| (*p).clone()),
        },
        _ => CommandAction::Unknown { command },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn read_only_commands_are_safe_and_writers_are_not() {
        for safe in [
            argv(&["ls", "-la"]),
            argv(&["git", "status"]),
            argv(&["bash", "-lc", "ls && pwd | wc -l"]),
            argv(&["sed", "-n", "1,5p", "file"]),
            argv(&["rg", "foo", "src"]),
            argv(&["rg", "-i", "foo"]),
            argv(&["/usr/bin/ls", "-l"]),
            argv(&["/bin/bash", "-lc", "ls; pwd"]),
            argv(&["git", "log", "--oneline"]),
        ] {
            assert!(is_known_safe(&safe), "{safe:?}");
        }
        for unsafe_ in [
            argv(&["rm", "-rf", "x"]),
            argv(&["bash", "-lc", "echo hi > file"]),
            argv(&["bash", "-lc", "ls; rm x"]),
            argv(&["bash", "-lc", "echo $(rm x)"]),
            argv(&["bash", "-lc", "sleep 1 &"]),
            argv(&["git", "push"]),
            argv(&["git", "-c", "core.pager=sh", "log"]),
            argv(&["find", ".", "-delete"]),
            argv(&["rg", "--pre", "sh", "x"]),
            argv(&["sed", "-i", "s/a/b/", "f"]),
            argv(&[]),
            // Writers hiding among read-only tools.
            argv(&["uniq", "in.txt", "out.txt"]),
            argv(&["tree", "-o", "out.txt"]),
            argv(&["file", "-C", "-m", "magic"]),
            // Programs named by a path are not the system's.
            argv(&["./ls"]),
            argv(&["/repo/bin/cat", "x"]),
            argv(&["bin/ls"]),
            argv(&["./bash", "-lc", "ls"]),
            argv(&["/tmp/sh", "-c", "ls"]),
            argv(&["bash", "-lc", "./ls"]),
            // Flags that run programs or write, however spelled.
            argv(&["rg", "-zi", "x"]),
            argv(&["rg", "-z", "x"]),
            argv(&["rg", "--pre=sh", "x"]),
            argv(&["find", ".", "-exec", "rm", "{}", ";"]),
            argv(&["find", ".", "-fprint", "out"]),
            argv(&["git", "-c", "x=y", "status"]),
            argv(&["git", "diff", "--output=out.txt"]),
            argv(&["git", "diff", "--outp=out.txt"]),
            argv(&["git", "log", "--ext-diff"]),
            argv(&["sed", "-n", "1p", "-i", "f"]),
            argv(&["bash", "-lc", "ls $(rm x)"]),
            argv(&["bash", "-lc", "ls `rm x`"]),
            argv(&["bash", "-lc", "ls; touch x"]),
            argv(&["bash", "-lc", "ls && touch x"]),
            argv(&["bash", "-lc", "ls || touch x"]),
            argv(&["bash", "-lc", "ls | tee x"]),
            argv(&["bash", "-lc", "ls > x"]),
            argv(&["bash", "-lc", "ls >> x"]),
            argv(&["bash", "-lc", "cat < /etc/passwd"]),
        ] {
            assert!(!is_known_safe(&unsafe_), "{unsafe_:?}");
        }
    }

    #[test]
    fn actions_describe_reads_listings_and_searches() {
        let actions = command_actions(&argv(&["bash", "-lc", "cat src/main.rs && ls src | rg fn"]));
        assert!(matches!(&actions[0], CommandAction::Read { name, .. } if name == "main.rs"));
        assert!(
            matches!(&actions[1], CommandAction::ListFiles { path: Some(p), .. } if p == "src")
        );
        assert!(matches!(&actions[2], CommandAction::Search { query: Some(q), .. } if q == "fn"));
        assert!(matches!(&command_actions(&argv(&["make"]))[0], CommandAction::Unknown { .. }));
    }

    #[test]
    fn prefixes_and_display() {
        assert_eq!(
            proposed_prefix(&argv(&["bash", "-lc", "cargo test -p x"])),
            Some(argv(&["cargo", "test", "-p", "x"]))
        );
        assert_eq!(proposed_prefix(&argv(&["bash", "-lc", "a && b"])), None);
        assert_eq!(display_command(&argv(&["echo", "a b"])), "echo 'a b'");
    }
}
