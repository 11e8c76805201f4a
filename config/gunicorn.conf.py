"""gunicorn settings: `gunicorn -c config/gunicorn.conf.py config.wsgi`. The access log
masks the secret tokens of the public pages' URLs (config.logs)."""

logger_class = "config.logs.MaskingGunicornLogger"
accesslog = "-"
errorlog = "-"
