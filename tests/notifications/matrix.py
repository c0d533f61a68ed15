from tests.authorization import Route

ROUTES = [
    Route("notifications.index"),
    Route("notifications.mark_all_read", "POST", default=302),
    # A notification of Niger's agency: nobody of Mali reaches it.
    Route("notifications.open_notification", "POST",
          args=lambda w: {"notification_id": w.foreign_notification_id}, default=404),
    Route("notifications_api.api_list"),
    Route("notifications_api.api_mark_all_read", "POST"),
    Route("notifications_api.api_mark_read", "POST",
          args=lambda w: {"notification_id": w.foreign_notification_id}, default=404),
]
