"""The canonical stream: Avro encoding, the embedded and Kafka streams, relay, ingress, follower."""
