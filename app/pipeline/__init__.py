"""The way an event and a message travel, from LINE's webhook to LINE's answer:

    LINE ─POST /webhook─▶ app/api/webhook.py: verify, then inbox.InboxWriter stores the events (200)
                          intake.py: each replica's mark, so a chat's events are worked in LINE's order
                          webhook_first.py: on SQLite the webhook's writes go before the worker's
         inbox_worker.py: claims a chat's next event (inbox.py) and runs its handler (handlers/),
                          which calls services/ and flows, which write outbox rows; events of different
                          chats share a transaction (group_commit.py, deferred_writes.py)
         outbox_sender.py: claims each chat's due messages (outbox.py) and sends them to LINE
                          (app/line/client.py), recording what LINE said
    LINE ◀─reply / push─┘

leases.py is the claim both queues make; loops.py the loop that keeps claimed items in work;
wakeups.py tells the workers there is new work; workers.py runs the inbox worker, the sender and the
embedded scheduler together, and supervisor.py keeps their process running beside `rongtuk serve`.
"""
