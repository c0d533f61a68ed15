"""Several writers at once, each in its own thread, application context and session."""

import threading


def run_concurrently(app, work, writers: int = 4) -> list[str]:
    """Run `work(number)` in `writers` threads at once; answer the errors they raised."""
    from registry.extensions import db

    errors: list[str] = []

    def writer(number: int) -> None:
        with app.app_context():
            try:
                work(number)
            except Exception as error:  # reported to the test, with the thread's error
                db.session.rollback()
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
