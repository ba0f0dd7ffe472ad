"""Parses a text exposition with prometheus_client's parser (an implementation independent
of pushmetrics) and prints one canonical line per sample: name, sorted labels, value.
`le` and `quantile` labels are printed as the bits of their number, after a check that they
are written exactly as prometheus_client writes them (the form PromQL queries match)."""
import struct
import sys

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.utils import floatToGoString


def bits(value: float) -> str:
    """The IEEE-754 bits in hex (NaN spelled out): exact, and spelled alike in any language."""
    v = float(value)
    if v != v:
        return "nan"
    return format(struct.unpack(">Q", struct.pack(">d", v))[0], "x")


def bound(name: str, value: str) -> str:
    if name not in ("le", "quantile"):
        return value
    if value != floatToGoString(float(value)):
        return f"not canonical: {value}"
    return bits(float(value))


def main() -> None:
    text = open(sys.argv[1], encoding="utf-8").read()
    for family in text_string_to_metric_families(text):
        print(f"# {family.name} {family.type} {family.documentation!r}")
        for s in family.samples:
            labels = ",".join(f"{k}={bound(k, v)!r}" for k, v in sorted(s.labels.items()))
            print(f"{s.name}|{labels}|{bits(s.value)}")


if __name__ == "__main__":
    main()
