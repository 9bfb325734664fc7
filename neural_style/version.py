"""The package's version: records, library entries and outputs import it from here, never from the
package root (which imports the modules above it)."""

__version__ = "0.1.0"
