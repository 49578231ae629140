//! Which connections receive which thread's events.
//!
//! A connection subscribes to a thread by starting or resuming it and leaves with
//! `thread/unsubscribe` or by disconnecting. Thread notifications and approval requests go only to
//! the thread's subscribers. When the last subscriber leaves, the caller is told so it can stop the
//! thread's listener; each listener carries a generation number so a stale listener can never
//! clear the state of a newer one.

use std::collections::BTreeSet;
use std::collections::HashMap;

use codex_app_server_transport::ConnectionId;

/// Generation of a thread's listener; bumped every time a listener is (re)started.
pub type ListenerGeneration = u64;

/// What happened to a thread when a connection left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Departure {
    /// The connection was not subscribed.
    NotSubscribed,
    /// Others remain subscribed.
    OthersRemain,
    /// It was the last subscriber; the listener of this generation should stop.
    LastSubscriberLeft(ListenerGeneration),
}

#[derive(Debug, Default)]
struct ThreadEntry {
    subscribers: BTreeSet<ConnectionId>,
    generation: ListenerGeneration,
}

/// Thread ↔ connection subscriptions.
#[derive(Debug, Default)]
pub struct Subscriptions {
    threads: HashMap<String, ThreadEntry>,
    next_generation: ListenerGeneration,
}

impl Subscriptions {
    /// Subscribes `connection` to `thread_id`; returns the listener generation when this is the
    /// first subscriber (the caller starts a listener), `None` when a listener already runs.
    pub fn subscribe(
        &mut self,
        thread_id: &str,
        connection: ConnectionId,
    ) -> Option<ListenerGeneration> {
        let entry = self.threads.entry(thread_id.to_owned()).or_default();
        let first = entry.subscribers.is_empty();
        entry.subscribers.insert(connection);
        if first {
            self.next_generation += 1;
            entry.generation = self.next_generation;
            Some(entry.generation)
        } else {
            None
        }
    }

    /// Removes `connection` from `thread_id`.
    pub fn unsubscribe(&mut self, thread_id: &str, connection: ConnectionId) -> Departure {
        let Some(entry) = self.threads.get_mut(thread_id) else {
            return Departure::NotSubscribed;
        };
        if !entry.subscribers.remove(&connection) {
            return Departure::NotSubscribed;
        }
        if entry.subscribers.is_empty() {
            let generation = entry.generation;
            self.threads.remove(thread_id);
            Departure::LastSubscriberLeft(generation)
        } else {
            Departure::OthersRemain
        }
    }

    /// Removes `connection` from every thread; returns the threads it was the last subscriber of.
    pub fn remove_connection(
        &mut self,
        connection: ConnectionId,
    ) -> Vec<(String, ListenerGeneration)> {
        let threads: Vec<String> = self
            .threads
            .iter()
            .filter(|(_, entry)| entry.subscribers.contains(&connection))
            .map(|(id, _)| id.clone())
            .collect();
        threads
            .into_iter()
            .filter_map(|thread_id| match self.unsubscribe(&thread_id, connection) {
                Departure::LastSubscriberLeft(generation) => Some((thread_id, generation)),
                _ => None,
            })
            .collect()
    }

    /// The connections subscribed to `thread_id`.
    pub fn subscribers(&self, thread_id: &str) -> Vec<ConnectionId> {
        self.threads
            .get(thread_id)
            .map(|entry| entry.subscribers.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Whether `connection` is subscribed to `thread_id`.
    pub fn is_subscribed(&self, thread_id: &str, connection: ConnectionId) -> bool {
        self.threads.get(thread_id).is_some_and(|entry| entry.subscribers.contains(&connection))
    }

    /// Whether the listener of `generation` is still the current one for `thread_id`.
    pub fn is_current(&self, thread_id: &str, generation: ListenerGeneration) -> bool {
        self.threads.get(thread_id).is_some_and(|entry| entry.generation == generation)
    }

    /// Threads with at least one subscriber.
    pub fn thread_ids(&self) -> Vec<String> {
        self.threads.keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_subscriber_leaving_reports_its_generation_and_stale_generations_are_not_current() {
        let mut subs = Subscriptions::default();
        let (a, b) = (ConnectionId(1), ConnectionId(2));
        let first = subs.subscribe("t", a).unwrap();
        assert_eq!(subs.subscribe("t", b), None);
        assert_eq!(subs.unsubscribe("t", a), Departure::OthersRemain);
        assert_eq!(subs.unsubscribe("t", a), Departure::NotSubscribed);
        assert_eq!(subs.unsubscribe("t", b), Departure::LastSubscriberLeft(first));
        let second = subs.subscribe("t", a).unwrap();
        assert_ne!(first, second);
        assert!(!subs.is_current("t", first), "a stale listener must not look current");
        assert!(subs.is_current("t", second));
    }

    #[test]
    fn removing_a_connection_leaves_every_thread_at_once() {
        let mut subs = Subscriptions::default();
        let (a, b) = (ConnectionId(1), ConnectionId(2));
        subs.subscribe("t1", a);
        subs.subscribe("t2", a);
        subs.subscribe("t2", b);
        let mut emptied = subs.remove_connection(a);
        emptied.sort();
        assert_eq!(emptied.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(), ["t1"]);
        assert_eq!(subs.subscribers("t2"), vec![b]);
        assert!(subs.subscribers("t1").is_empty());
    }
}
