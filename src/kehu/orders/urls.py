from django.urls import path

from kehu.orders import product_views, quick_views, sale_views, views

app_name = "orders"

urlpatterns = [
    path("", views.order_list_view, name="list"),
    path("<int:order_id>/", views.order_detail_view, name="detail"),
    path("<int:order_id>/refunds/", views.order_refund_view, name="refund"),
    # Sales entered by hand (sale_views, quick_views).
    path("sale/new/", sale_views.sale_new_view, name="sale_new"),
    path("<int:order_id>/edit/", sale_views.sale_edit_view, name="sale_edit"),
    path("<int:order_id>/cancel/", sale_views.sale_cancel_view, name="sale_cancel"),
    path("sale/products/", sale_views.sale_products_view, name="sale_products"),
    path("sale/line/", sale_views.sale_line_view, name="sale_line"),
    path("sale/line/remove/", sale_views.sale_line_remove_view, name="sale_line_remove"),
    path("sale/customers/", sale_views.sale_customers_view, name="sale_customers"),
    path("quick/", quick_views.quick_sale_view, name="quick_sale"),
    path("quick/customer/", quick_views.quick_customer_view, name="quick_customer"),
    path("quick/customer/new/", quick_views.quick_customer_new_view, name="quick_customer_new"),
    path("quick/product/", quick_views.quick_product_view, name="quick_product"),
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
