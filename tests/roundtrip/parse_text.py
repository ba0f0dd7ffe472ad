"""Parses a text exposition with prometheus_client's parser (an implementation independent
of pushmetrics) and prints one canonical line per sample: name, sorted labels, value."""
import struct
import sys

from prometheus_client.parser import text_string_to_metric_families


def bits(value: float) -> str:
    """The IEEE-754 bits in hex (NaN spelled out): exact, and spelled alike in any language."""
    v = float(value)
    if v != v:
        return "nan"
    return format(struct.unpack(">Q", struct.pack(">d", v))[0], "x")


def main() -> None:
    text = open(sys.argv[1], encoding="utf-8").read()
    for family in text_string_to_metric_families(text):
        print(f"# {family.name} {family.type} {family.documentation!r}")
        for s in family.samples:
            labels = ",".join(f"{k}={v!r}" for k, v in sorted(s.labels.items()))
            print(f"{s.name}|{labels}|{bits(s.value)}")


if __name__ == "__main__":
    main()
