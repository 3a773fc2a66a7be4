#!/usr/bin/env python3
"""Writes the zookeeper and kafka seed corpora from the real-client golden fixtures in
Tests/ZooKeeperWireTests/KazooGoldenTests.swift and Tests/KafkaWireTests/ClientFixtures.swift
(hex frame payloads): each request alone and a whole client session, as length-prefixed frames.
Rerun after changing the fixtures: python3 Tests/Fuzz/extract-seeds.py"""
import os
import re
import struct

here = os.path.dirname(os.path.abspath(__file__))
tests = os.path.dirname(here)


def fixtures(path):
    text = open(path).read()
    found = {}
    for m in re.finditer(r'static let (\w+)\s*=\s*((?:"[0-9a-fA-F]*"\s*(?:\+\s*)?)+)', text):
        found[m.group(1)] = bytes.fromhex("".join(re.findall(r'"([0-9a-fA-F]*)"', m.group(2))))
    return found


def frame(payload):
    return struct.pack(">i", len(payload)) + payload


def write(target, name, data):
    d = os.path.join(here, target, "corpus")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


zk = fixtures(os.path.join(tests, "ZooKeeperWireTests", "KazooGoldenTests.swift"))
connect = frame(zk.pop("connect"))
session = connect
for name, payload in zk.items():
    write("zookeeper", "kazoo-" + name, connect + frame(payload))
    session += frame(payload)
write("zookeeper", "kazoo-session", session)

kafka = fixtures(os.path.join(tests, "KafkaWireTests", "ClientFixtures.swift"))
requests = {n: p for n, p in kafka.items() if "Response" not in n and "response" not in n}
everything = b""
for name, payload in requests.items():
    write("kafka", name, frame(payload))
    everything += frame(payload)
write("kafka", "all-requests", everything)
print(f"zookeeper: {len(zk) + 1} seeds, kafka: {len(requests) + 1} seeds")
