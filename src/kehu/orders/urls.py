from django.urls import path

from kehu.orders import product_views, views

app_name = "orders"

urlpatterns = [
    path("", views.order_list_view, name="list"),
    path("<int:order_id>/", views.order_detail_view, name="detail"),
    path("<int:order_id>/refunds/", views.order_refund_view, name="refund"),
    # the catalogue (商品), for admins and managers
    path("products/", product_views.product_list_view, name="products"),
    path("products/new/", product_views.product_create_view, name="product_create"),
    path("products/<int:product_id>/", product_views.product_edit_view, name="product_edit"),
    path(
        "products/<int:product_id>/active/",
        product_views.product_active_view,
        name="product_active",
    ),
    path("products/categories/", product_views.category_list_view, name="categories"),
    path("products/categories/new/", product_views.category_create_view, name="category_create"),
    path(
        "products/categories/<int:category_id>/",
        product_views.category_edit_view,
        name="category_edit",
    ),
    path(
        "products/categories/<int:category_id>/delete/",
        product_views.category_delete_view,
        name="category_delete",
    ),
]
