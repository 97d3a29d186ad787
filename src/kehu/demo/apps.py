from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data set's command, ``kehu demo``: an app for the command alone (no
    models), above every other app, which it fills with data."""

    name = "kehu.demo"
    label = "demo"
