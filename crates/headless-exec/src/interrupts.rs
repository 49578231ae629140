//! Ctrl-C during a run: the first press asks the run to interrupt its turn (it then ends with
//! the turn's `interrupted` status), a second press exits the process at once with code 130,
//! after SIGKILLing the process group of every command the agent still runs (they sit in their
//! own groups, so the terminal's SIGINT never reached them).

use tokio::sync::mpsc;

/// Exit code of a run cut short by a second Ctrl-C.
pub const SECOND_INTERRUPT_EXIT_CODE: i32 = 130;

/// Installs the Ctrl-C handler; the receiver gets one `()` for the first press. Must be called
/// inside a Tokio runtime.
pub fn install_ctrl_c_handler() -> mpsc::Receiver<()> {
    let (sender, receiver) = mpsc::channel(1);
    // One listener for both presses, so a second press arriving right after the first is kept.
    let mut presses = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
    {
        Ok(presses) => presses,
        Err(err) => {
            tracing::warn!("cannot watch Ctrl-C: {err}");
            return receiver;
        }
    };
    tokio::spawn(async move {
        if presses.recv().await.is_none() {
            return;
        }
        let _ = sender.send(()).await;
        if presses.recv().await.is_some() {
            let killed = codex_exec::kill_all_running_commands();
            if killed > 0 {
                eprintln!("second Ctrl-C: killed {killed} running command(s), exiting");
            } else {
                eprintln!("second Ctrl-C: exiting without waiting for the turn");
            }
            std::process::exit(SECOND_INTERRUPT_EXIT_CODE);
        }
    });
    receiver
}
