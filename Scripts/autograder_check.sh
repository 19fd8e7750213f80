#!/usr/bin/env bash
# End-to-end check of the autograder, from the package root (CI runs it):
#   1. the student version builds and scores 0;
#   2. the solution scores full marks;
#   3. a copy with exactly one exercise solved (ch5-rnn-step), one that loops forever
#      (ch6-clipping), one that crashes (ch8-gru-cell) and one that does not compile
#      (ch3-add-delta) scores exactly ch5-rnn-step's points, the loop cut off by the time
#      limit and the compile error charged to its exercise alone;
#   4. the Gradescope bundle's run_autograder, run on a folder laid out like Gradescope's,
#      writes the same results as `grade` for that submission.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
swift build --product Autograder >/dev/null
bin="$(swift build --show-bin-path)/Autograder"
grade() { "$bin" grade "$1" --results "$2" --work "$work/grading" >"$2.log" 2>&1 || { cat "$2.log"; exit 1; }; }

echo "1. student version"
"$bin" student "$work/student"
if grep -rq "BEGIN HIDDEN TESTS" "$work/student/Tests"; then echo "hidden tests leaked into the student version"; exit 1; fi
if grep -q "f \* c + i \* candidate" "$work/student/Sources/NeuralKit/Layers/Recurrent.swift"; then echo "a solution leaked into the student version"; exit 1; fi
grade "$work/student" "$work/student.json"

echo "2. solution"
grade . "$work/solution.json"

echo "3. one exercise solved, one endless loop, one crash, one compile error"
cp -r "$work/student" "$work/mixed"
python3 - "$work/mixed" <<'PY'
import re, sys
mixed = sys.argv[1]
def set_region(path, rid, body):
    full = f"{mixed}/{path}"
    text = open(full).read()
    pattern = re.compile(r"(// BEGIN SOLUTION " + re.escape(rid) + r"\n)(.*?)(\n\s*// END SOLUTION)", re.S)
    assert pattern.search(text), (path, rid)
    text = pattern.sub(lambda m: m.group(1) + body + m.group(3), text, count=1)
    open(full, "w").write(text)
solution = open("Sources/NeuralKit/Layers/Recurrent.swift").read()
rnn = re.search(r"// BEGIN SOLUTION ch5-rnn-step\n(.*?)\n\s*// END SOLUTION", solution, re.S).group(1)
set_region("Sources/NeuralKit/Layers/Recurrent.swift", "ch5-rnn-step", rnn)
set_region("Sources/NeuralKit/Optimizers/Optimizers.swift", "ch6-clipping",
           "    while !parameters.isEmpty { parameters[0].zeroGradient() }\n    return 0")
set_region("Sources/NeuralKit/Layers/Recurrent.swift", "ch8-gru-cell",
           "        let outOfRange = [state.hidden][3]\n        return HiddenState(hidden: outOfRange)")
set_region("Sources/NGram/SimpleModels.swift", "ch3-add-delta",
           "        return thisNameIsNotDefined * 2")
PY
grade "$work/mixed" "$work/mixed.json"

echo "4. the Gradescope bundle on a local copy of Gradescope's layout"
"$bin" bundle "$work/bundle.zip"
mkdir -p "$work/gs/autograder/source" "$work/gs/autograder/submission"
(cd "$work/gs/autograder/source" && unzip -q "$work/bundle.zip")
cp -r "$work/mixed/." "$work/gs/autograder/submission/"
AUTOGRADER_ROOT="$work/gs/autograder" AUTOGRADER_WORK="$work/grading" bash "$work/gs/autograder/source/run_autograder" >"$work/gs.log" 2>&1 \
  || { cat "$work/gs.log"; exit 1; }

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
load = lambda name: json.load(open(f"{work}/{name}"))
student, solution, mixed = load("student.json"), load("solution.json"), load("mixed.json")
gradescope = load("gs/autograder/results/results.json")
points = {e["id"]: e["points"] for e in json.load(open("Sources/Autograder/points.json"))["exercises"]}
by_id = lambda results: {t["name"].rsplit("[", 1)[1].rstrip("]"): t for t in results["tests"]}
failures = []
def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message)
    if not condition: failures.append(message)
check(student["score"] == 0 and student["max_score"] == sum(points.values()), f"student version: {student['score']} of {student['max_score']}")
check(solution["score"] == solution["max_score"] == sum(points.values()), f"solution: {solution['score']} of {solution['max_score']}")
check(mixed["score"] == points["ch5-rnn-step"], f"one exercise solved: {mixed['score']} (ch5-rnn-step is worth {points['ch5-rnn-step']})")
m = by_id(mixed)
check(m["ch5-rnn-step"]["status"] == "passed", "ch5-rnn-step passed")
check("Cut off after" in m["ch6-clipping"]["output"], "the endless loop was cut off: " + m["ch6-clipping"]["output"].splitlines()[0])
check("does not compile" in m["ch3-add-delta"]["output"] and "thisNameIsNotDefined" in m["ch3-add-delta"]["output"],
      "the compile error cost ch3-add-delta only")
check("Fatal error" in m["ch8-gru-cell"]["output"] and m["ch8-gru-cell"]["score"] == 0, "the crash cost ch8-gru-cell only")
strip = lambda r: {k: v for k, v in r.items() if k != "execution_time"}
check(strip(gradescope) == strip(mixed), "run_autograder in Gradescope's layout gives the same results as grade")
for name, results in [("student", student), ("solution", solution), ("mixed", mixed)]:
    print(f"  {name}: " + ", ".join(f"{t['name'].rsplit('[', 1)[1].rstrip(']')} {t['score']:g}/{t['max_score']:g}" for t in results["tests"]))
sys.exit(1 if failures else 0)
PY
