#!/usr/bin/env python3
"""readme-check: the README's code blocks cannot drift from code that runs.

- Every ```swift block must be, line for line, either a region between `// README begin` and
  `// README end` lines of a Swift file under Examples/, or a whole file under tools/consumer/
  (those run in `make examples` and `make consumer-check`). Every such region must appear in the
  README, so no example keeps a copy of a block the README dropped.
- Every ```sh block may only use commands this checker knows, and each must name something that
  exists: a make target of the Makefile, an executable product of the package it runs.

Exits with status 1 and a diff against the nearest candidate when something differs.
"""
import difflib
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BEGIN, END = "// README begin", "// README end"


def normalize(lines):
    """Lines without trailing blanks, common indentation, or blank lines at either end."""
    lines = [line.rstrip() for line in lines]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    indent = min((len(l) - len(l.lstrip()) for l in lines if l), default=0)
    return [l[indent:] for l in lines]


def readme_blocks(path):
    """(language, first line number, lines) of each fenced block."""
    blocks, language, start, body = [], None, 0, []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            stripped = line.strip()
            if language is None and stripped.startswith("```"):
                language, start, body = stripped[3:].strip() or "text", number, []
            elif language is not None and stripped == "```":
                blocks.append((language, start, normalize(body)))
                language = None
            elif language is not None:
                body.append(line)
    if language is not None:
        sys.exit(f"readme-check: README.md:{start}: a code block is never closed")
    return blocks


def swift_files(folder):
    for directory, subdirectories, files in os.walk(folder):
        subdirectories[:] = [d for d in subdirectories if not d.startswith(".")]
        for name in sorted(files):
            if name.endswith(".swift"):
                yield os.path.join(directory, name)


def candidates():
    """(where, lines) of every runnable copy."""
    found = []
    for path in swift_files(os.path.join(ROOT, "Examples")):
        region = None
        with open(path) as f:
            for number, line in enumerate(f, 1):
                if line.strip() == BEGIN:
                    region = (number, [])
                elif line.strip() == END and region:
                    where = f"{os.path.relpath(path, ROOT)}:{region[0]}"
                    found.append((where, normalize(region[1])))
                    region = None
                elif region:
                    region[1].append(line)
    for path in swift_files(os.path.join(ROOT, "tools", "consumer")):
        with open(path) as f:
            found.append((os.path.relpath(path, ROOT), normalize(f.readlines())))
    return found


def make_targets():
    targets = set()
    with open(os.path.join(ROOT, "Makefile")) as f:
        for line in f:
            match = re.match(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", line)
            if match:
                targets.add(match.group(1))
    return targets


def executable_products(package_dir):
    with open(os.path.join(ROOT, package_dir, "Package.swift")) as f:
        return set(re.findall(r'\.executable\(\s*name:\s*"([^"]+)"', f.read()))


def check_shell(start, lines, targets):
    """Problems with the commands of one ```sh block."""
    problems = []
    for offset, raw in enumerate(lines, 1):
        line = raw.split(" #", 1)[0].strip()
        where = f"README.md:{start + offset}"
        if not line or line.startswith("#"):
            continue
        words = line.split()
        while words and (words[0] == "sudo" or re.match(r"^[A-Z_]+=", words[0])):
            words = words[1:]
        if words[0] == "make":
            for target in words[1:]:
                if "=" not in target and target not in targets:
                    problems.append(f"{where}: `make {target}`: no such target in the Makefile")
        elif words[:2] in (["swift", "run"], ["swift", "build"], ["swift", "test"]):
            package = "."
            if "--package-path" in words:
                package = words[words.index("--package-path") + 1]
            if words[1] == "run":
                options_with_value = {"--package-path", "-c", "--configuration", "--scratch-path"}
                rest, product, i = words[2:], None, 0
                while i < len(rest):
                    if rest[i] in options_with_value:
                        i += 2
                    elif rest[i].startswith("-"):
                        i += 1
                    else:
                        product = rest[i]
                        break
                if product is not None and product not in executable_products(package):
                    problems.append(f"{where}: `swift run` of {product}: no such executable in {package}/Package.swift")
            if "--filter" in words:
                target = words[words.index("--filter") + 1]
                if not os.path.isdir(os.path.join(ROOT, "Tests", target)):
                    problems.append(f"{where}: --filter {target}: no such test target in Tests/")
            if any(w.startswith("[") for w in words):
                problems.append(f"{where}: optional [arguments] do not run as written")
        elif words[:2] in (["apt", "install"], ["apt-get", "install"]):
            pass
        else:
            problems.append(f"{where}: `{words[0]}`: readme-check does not know this command; teach it")
    return problems


def main():
    blocks = readme_blocks(os.path.join(ROOT, "README.md"))
    copies = candidates()
    used, problems, swift_count = set(), [], 0
    for language, start, lines in blocks:
        if language == "swift":
            swift_count += 1
            matches = [where for where, copy in copies if copy == lines]
            if matches:
                used.update(matches)
                continue
            nearest = max(copies, key=lambda c: difflib.SequenceMatcher(None, c[1], lines).ratio())
            diff = "\n".join(difflib.unified_diff(nearest[1], lines, nearest[0], f"README.md:{start}", lineterm=""))
            problems.append(f"README.md:{start}: this Swift block is no example's code; nearest is {nearest[0]}:\n{diff}")
        elif language == "sh":
            problems += check_shell(start, lines, make_targets())
        elif language != "text":
            problems.append(f"README.md:{start}: a ```{language} block: use swift, sh or a plain ``` block")
    for where, _ in copies:
        if where not in used:
            problems.append(f"{where}: a README copy that the README no longer has")
    for problem in problems:
        print("readme-check: " + problem)
    if problems:
        print(f"readme-check: {len(problems)} problem(s)")
        return 1
    print(f"readme-check: OK: {swift_count} Swift blocks match their runnable copies; shell blocks name what exists")
    return 0


if __name__ == "__main__":
    sys.exit(main())
