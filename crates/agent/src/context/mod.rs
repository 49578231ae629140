//! The context builder: the instructions and context messages a thread's model requests carry.
