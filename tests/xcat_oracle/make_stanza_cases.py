"""Makes stanza_cases.json: random stanza texts and what xCAT's readFileInput reads from them.

Run by hand with an xCAT checkout (xCAT's code is not in this repository):
    python tests/xcat_oracle/make_stanza_cases.py XCAT_CORE/perl-xCAT
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
# Lines chosen to hit each rule: headers (valid, with '=', with text after ':',
# defaults), attributes with quotes and Perl-space, comments, blanks, junk.
PIECES = [
    "web1:", "default-node:", "default:", "default-a-b:", "  objtype=node", "objtype=group", "    mac=1",
    ' a = "x" ', 'b=""', 'c= " y " ', "x=y:", "#c", "  # c", "", "   ", "junk", "n=1:2:", "a:b",
    '  d=\t"q"\t', "e==f", "=g", "name with space:", "k=v\x0b", "\x0cfoo:", 'k="a" "', "z:  ", "k=v\r",
    "ü:", 'k=é"', "default-x1:", "k= ", "k=:", 'k=""a:"', "v:=", "  default-group  :",
]


def main() -> None:
    rng = random.Random(7)
    texts = ["\n".join(rng.choice(PIECES) for _ in range(rng.randint(1, 9))) for _ in range(400)]
    done = subprocess.run(
        ["perl", str(HERE / "stanza_oracle.pl"), sys.argv[1]], input=json.dumps(texts),
        capture_output=True, text=True, check=True,
    )
    cases = [{"text": t, "xcat": r} for t, r in zip(texts, json.loads(done.stdout))]
    (HERE / "stanza_cases.json").write_text(json.dumps(cases, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
