from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kehu.core"
    label = "core"

    def ready(self) -> None:
        from kehu.core.sql import sqlite_decimals_as_numbers

        sqlite_decimals_as_numbers()
