# The inference app gunicorn serves behind nginx: /ping says whether the model loads,
# /invocations takes CSV rows (features only, no header) and answers one class per row.
import csv
import io
import json
import os

import flask

import tree

model_path = os.path.join('/opt/ml/', 'model')


class ScoringService:
    model = None  # loaded once per worker, on the first request

    @classmethod
    def get_model(cls):
        if cls.model is None:
            with open(os.path.join(model_path, 'decision-tree.json')) as handle:
                cls.model = json.load(handle)
        return cls.model

    @classmethod
    def predict(cls, rows):
        return [tree.predict(cls.get_model(), row) for row in rows]


app = flask.Flask(__name__)


@app.route('/ping', methods=['GET'])
def ping():
    """Healthy when the model loads."""
    try:
        healthy = ScoringService.get_model() is not None
    except OSError:
        healthy = False
    return flask.Response(response='\n', status=200 if healthy else 404, mimetype='application/json')


@app.route('/invocations', methods=['POST'])
def transformation():
    if flask.request.content_type != 'text/csv':
        return flask.Response(response='This predictor only supports CSV data', status=415, mimetype='text/plain')
    text = flask.request.data.decode('utf-8')
    try:
        rows = [[float(value) for value in record] for record in csv.reader(io.StringIO(text)) if record]
    except ValueError as error:
        return flask.Response(response=f'Each value must be a number: {error}', status=400, mimetype='text/plain')
    print(f'Invoked with {len(rows)} records')
    out = io.StringIO()
    for prediction in ScoringService.predict(rows):
        out.write(f'{prediction}\n')
    return flask.Response(response=out.getvalue(), status=200, mimetype='text/csv')
