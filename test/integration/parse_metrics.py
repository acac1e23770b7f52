#!/usr/bin/python3
"""Parses Prometheus text format on stdin with the prometheus_client parser
(an implementation that is not ours) and prints one sample per line:
NAME{k="v",...}<TAB>VALUE, labels sorted. Exit 1 with the parser's error
on malformed input."""
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    try:
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                labels = ",".join(
                    '%s="%s"' % (k, v) for k, v in sorted(s.labels.items()))
                key = s.name + ("{%s}" % labels if labels else "")
                print("%s\t%r" % (key, float(s.value)))
    except Exception as e:  # the parser raises ValueError and others
        print("cannot parse the metrics: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
