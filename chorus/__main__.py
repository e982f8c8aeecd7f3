from chorus.cli import app

app(prog_name="chorus")
