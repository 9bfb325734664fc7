"""neural-style-tf's command-line habits, rewritten for click before parsing.

Options work with one dash or two (``-content_img``/``--content_img``); list options take several
values after one flag (``--style_imgs a.jpg b.jpg``, like argparse's ``nargs='+'``); boolean flags
accept neural-style-tf's explicit value (``-style_mask 1``).
"""

from __future__ import annotations

from collections.abc import Sequence

LIST_OPTIONS = frozenset({
    "style_imgs", "style_imgs_weights", "content_layers", "style_layers", "content_layer_weights",
    "style_layer_weights", "style_mask_imgs", "style_segs", "scale_iterations", "sizes", "layers", "contents",
})
"""Options that take one or more values after a single flag."""
OPTIONAL_VALUE_FLAGS = frozenset({"style_mask", "original_colors", "luminance_only", "enlarge"})
"""Boolean flags that also accept neural-style-tf's explicit value: ``-style_mask 1``."""
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}

def _is_value(token: str) -> bool:
    """A token that is a value, not an option (negative numbers are values)."""
    if not token.startswith("-") or token == "-":
        return True
    try:
        float(token)
    except ValueError:
        return False
    return True


def normalize_argv(argv: Sequence[str], long_options: frozenset[str]) -> list[str]:
    """Rewrite neural-style-tf style arguments for click: ``-name`` -> ``--name``; a list option's
    values -> one ``--name value`` pair each; ``-style_mask 1`` -> ``--style_mask``."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        i += 1
        if token == "--":
            out += argv[i - 1:]
            break
        name, has_value, value = token.lstrip("-").partition("=")
        if not token.startswith("-") or name not in long_options:
            # An unknown one-dash word (a typo like -styel_imgs) goes to click as --word, so that click
            # names it whole and suggests the close match, instead of reading it as the short flag -s.
            unknown_word = token.startswith("-") and not token.startswith("--") and len(name) > 2 and not _is_value(token)
            out.append(f"-{token}" if unknown_word else token)
            continue
        if name in LIST_OPTIONS:
            values = [value] if has_value else []
            while not has_value and i < len(argv) and _is_value(argv[i]):
                values.append(argv[i])
                i += 1
            out += [f"--{name}"] if not values else [arg for v in values for arg in (f"--{name}", v)]
        elif name in OPTIONAL_VALUE_FLAGS:
            word = value if has_value else (argv[i].lower() if i < len(argv) else "")
            if not has_value and word in _TRUE | _FALSE:
                i += 1
            out.append(f"--no-{name}" if word.lower() in _FALSE else f"--{name}")
        else:
            out.append(f"--{name}" + (f"={value}" if has_value else ""))
    return out
