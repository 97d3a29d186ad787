from django.urls import path

from kehu.coupons import views

app_name = "coupons"

urlpatterns = [
    path("", views.templates_view, name="list"),
    path("new/", views.template_create_view, name="create"),
    path("<int:coupon_template_id>/", views.template_detail_view, name="detail"),
    path("<int:coupon_template_id>/edit/", views.template_edit_view, name="edit"),
    path(
        "<int:coupon_template_id>/issue/",
        views.template_issue_segment_view,
        name="issue_segment",
    ),
    path(
        "<int:coupon_template_id>/campaign/",
        views.template_campaign_view,
        name="campaign",
    ),
    path("customer/<int:customer_id>/issue/", views.customer_issue_view, name="issue_customer"),
]
