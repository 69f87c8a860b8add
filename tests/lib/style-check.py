#!/usr/bin/env python3
"""The code conventions of docs/style.md that a program can check.

  style-check.py [REPO]   one line per breach, "N breaches" last; exit 1 if any

  * every header under src/ has the guard BIMG_<DIR>_<FILE>_H (DIR: COMMON
    for src/common, else the program's name without bimg-)
  * no two headers under src/ share a name (one include path holds them all
    in the fuzz build)
  * x.c that includes its x.h (beside it) includes it first
  * no function in src/ or tests/ (C) is longer than 80 lines, counted from
    the first line of its signature to its closing brace
  * the includes are the own header, then the project's headers, then the
    system's, alphabetical within each group
"""
import os
import re
import sys

MAX_FUNCTION_LINES = 80


def c_files(repo, top):
    for dirpath, dirnames, filenames in os.walk(os.path.join(repo, top)):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(('.c', '.h')):
                yield os.path.join(dirpath, name)


def guard_breaches(path, text):
    directory = os.path.basename(os.path.dirname(path))
    program = 'COMMON' if directory == 'common' else directory.removeprefix('bimg-').upper()
    want = 'BIMG_%s_%s_H' % (program, os.path.basename(path)[:-2].upper())
    found = re.search(r'^#ifndef (\w+)\n#define (\w+)$', text, re.M)
    if not found or found.group(1) != want or found.group(2) != want:
        yield 'include guard is not %s' % want


def own_header_breaches(path, text):
    header = os.path.basename(path)[:-2] + '.h'
    if not os.path.exists(os.path.join(os.path.dirname(path), header)):
        return
    own = '#include "%s"' % header
    includes = [line for line in text.split('\n') if line.startswith('#include')]
    if own in includes and includes[0] != own:
        yield 'its own header is not its first include'


def include_order_breaches(path, text):
    lines = text.split('\n')
    at = [i for i, line in enumerate(lines) if line.startswith('#include')]
    if not at:
        return
    block = [line for line in lines[at[0]:at[-1] + 1] if line.strip()]
    own = '#include "%s.h"' % os.path.basename(path)[:-2] if path.endswith('.c') else None
    first = [own] if own in block else []
    project = sorted(line for line in block if '"' in line and line != own)
    system = sorted(line for line in block if '<' in line)
    if block != first + project + system:
        yield 'includes are not: own header, project headers, system headers (each alphabetical)'


def long_functions(text):
    """(first line, length, signature) of each function over the limit."""
    lines = text.split('\n')
    for i, line in enumerate(lines):
        if line != '{':
            continue
        start = i
        while start > 0:
            above = lines[start - 1]
            if not above.strip() or above.endswith((';', '*/')) or above.startswith(('}', '#', '/*', ' *')):
                break
            start -= 1
        end = i
        while end < len(lines) and not lines[end].startswith('}'):
            end += 1
        if end - start + 1 > MAX_FUNCTION_LINES:
            yield start + 1, end - start + 1, lines[start].strip()


def main():
    args = sys.argv[1:]
    repo = args[0] if args else os.path.join(os.path.dirname(__file__), '..', '..')
    breaches = []
    headers = {}
    for top in ('src', 'tests'):
        for path in c_files(repo, top):
            rel = os.path.relpath(path, repo)
            text = open(path, encoding='utf-8').read()
            if top == 'src' and path.endswith('.h'):
                headers.setdefault(os.path.basename(path), []).append(rel)
                breaches += ['%s: %s' % (rel, b) for b in guard_breaches(path, text)]
            if path.endswith('.c'):
                breaches += ['%s: %s' % (rel, b) for b in own_header_breaches(path, text)]
            breaches += ['%s: %s' % (rel, b) for b in include_order_breaches(path, text)]
            for line, length, signature in long_functions(text):
                breaches.append('%s:%d: function of %d lines (at most %d): %s' %
                                (rel, line, length, MAX_FUNCTION_LINES, signature))
    for name, paths in sorted(headers.items()):
        if len(paths) > 1:
            breaches.append('header name %s used twice: %s' % (name, ' '.join(paths)))
    for breach in breaches:
        print(breach)
    print('%d breaches' % len(breaches))
    return 1 if breaches else 0


if __name__ == '__main__':
    sys.exit(main())
