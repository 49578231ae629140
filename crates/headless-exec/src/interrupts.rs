//! Ctrl-C during a run: the first press asks the run to interrupt its turn (it then ends with
//! the turn's `interrupted` status), a second press exits the process at once with code 130.

use tokio::sync::mpsc;

/// Exit code of a run cut short by a second Ctrl-C.
pub const SECOND_INTERRUPT_EXIT_CODE: i32 = 130;

/// Installs the Ctrl-C handler; the receiver gets one `()` for the first press. Must be called
/// inside a Tokio runtime.
pub fn install_ctrl_c_handler() -> mpsc::Receiver<()> {
    let (sender, receiver) = mpsc::channel(1);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        let _ = sender.send(()).await;
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("second Ctrl-C: exiting without waiting for the turn");
            std::process::exit(SECOND_INTERRUPT_EXIT_CODE);
        }
    });
    receiver
}
