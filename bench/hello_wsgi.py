"""The baseline for bench/load.py: a bare Flask hello-world, served by the same gunicorn
command (`gunicorn --chdir bench hello_wsgi:app`)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
