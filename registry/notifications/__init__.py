"""In-app notifications (a bell with the unread count) and e-mail when a server is set."""
