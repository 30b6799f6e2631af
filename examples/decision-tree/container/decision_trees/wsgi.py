# The WSGI entry point gunicorn loads.
import predictor as myapp

app = myapp.app
