from django.urls import path

from kehu.loyalty import views

app_name = "loyalty"

urlpatterns = [
    path("", views.members_view, name="members"),
    path("customers/<int:customer_id>/", views.member_view, name="member"),
    path("customers/<int:customer_id>/points/", views.points_view, name="points"),
    path("customers/<int:customer_id>/redeem/", views.redeem_view, name="redeem"),
    path("customers/<int:customer_id>/referrer/", views.referrer_view, name="referrer"),
    path("join/<str:code>/", views.join_view, name="join"),
    path("settings/", views.programme_view, name="programme"),
]
for _word in ("level", "rule", "gift"):
    urlpatterns += [
        path(
            f"settings/{_word}s/new/",
            views.programme_item_view,
            {"what": _word},
            name=f"{_word}_new",
        ),
        path(
            f"settings/{_word}s/<int:item_id>/",
            views.programme_item_view,
            {"what": _word},
            name=_word,
        ),
    ]
