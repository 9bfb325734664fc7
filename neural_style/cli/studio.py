"""``neural-style studio``: start the local web app and open it in the browser."""

from __future__ import annotations

import click

from neural_style.studio import DEFAULT_PORT, default_data_folder, serve


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Any other than 127.0.0.1 needs the printed token on every request.")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port (0: any free one).")
@click.option("--data", type=click.Path(file_okay=False), default=None,
              help="Folder for uploads, jobs and results [default: ~/.local/share/neural-style/studio].")
@click.option("--library", default=None, help="Style library file [default: the user's; NEURAL_STYLE_LIBRARY].")
@click.option("--no-browser", "no_browser", is_flag=True, help="Do not open a browser tab.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (not even the address).")
@click.option("-v", "--verbose", is_flag=True, help="More messages (TensorFlow's warnings too).")
def command(host: str, port: int, data: str | None, library: str | None, no_browser: bool, quiet: bool,
            verbose: bool) -> None:
    """Paint masks on a photo, pick paintings, watch the runs and keep the results, in the browser."""

    def ready(url: str, tokened: bool) -> None:
        if tokened:
            click.echo(f"neural-style: warning: listening on {host}, not only this computer; every request needs "
                       "the token in this address", err=True)
        if not quiet:
            click.echo(f"neural-style studio: {url}  (Ctrl-C stops it)", err=True)
        if not no_browser:
            import webbrowser

            webbrowser.open(url)

    try:
        serve(default_data_folder() if data is None else click.format_filename(data), host, port, library, ready)
    except KeyboardInterrupt:
        if not quiet:
            click.echo("neural-style studio: stopped", err=True)
