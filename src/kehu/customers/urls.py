from django.urls import path

from kehu.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list_view, name="list"),
]
