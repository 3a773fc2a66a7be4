"""One consumer-group member, run as its own process by test_21_groups.py the way an application
runs one: confluent-kafka's Consumer subscribed to a topic, committing each message it has read
(synchronously) before taking the next. It prints one line per event, flushed:

  ASSIGN [partitions]   the partitions on_assign gave it (all of them, or the added ones when cooperative)
  REVOKE [partitions]   the partitions on_revoke took away
  MSG partition offset value
  ERROR text

Usage: group_member.py BOOTSTRAP GROUP TOPIC [CONFIG_JSON]. It stops (closing the consumer, which
leaves the group) when its standard input closes."""

import json
import sys
import threading

from confluent_kafka import Consumer  # noqa: E402


def main():
    bootstrap, group, topic = sys.argv[1:4]
    extra = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
    config = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
        "topic.metadata.refresh.interval.ms": 1000,
    }
    config.update(extra)
    consumer = Consumer(config)
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()

    def on_assign(_, partitions):
        print("ASSIGN", json.dumps(sorted(p.partition for p in partitions)), flush=True)

    def on_revoke(_, partitions):
        print("REVOKE", json.dumps(sorted(p.partition for p in partitions)), flush=True)

    consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    while not stop.is_set():
        message = consumer.poll(0.2)
        if message is None:
            continue
        if message.error():
            print("ERROR", message.error(), flush=True)
            continue
        print("MSG", message.partition(), message.offset(), message.value().decode(), flush=True)
        try:
            consumer.commit(message=message, asynchronous=False)
        except Exception as error:  # a commit refused during a rebalance: the message is read again
            print("ERROR commit", error, flush=True)
    consumer.close()
    print("CLOSED", flush=True)


if __name__ == "__main__":
    main()
