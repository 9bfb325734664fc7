"""The one error type that user-facing code turns into a one-line message and exit code 2."""


class NeuralStyleError(ValueError):
    """Bad input from the user: a missing or corrupt file, a bad option value, a mask that does not fit.

    The message is one line that names the option or file and the value received; the CLI prints it
    as ``neural-style: error: <message>`` and exits with code 2.
    """
