from django.urls import path

from kehu.customers import contact_views, ownership_views, views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list_view, name="list"),
    path("new/", views.customer_create_view, name="create"),
    path("<int:customer_id>/", views.customer_detail_view, name="detail"),
    path("<int:customer_id>/edit/", views.customer_edit_view, name="edit"),
    path("<int:customer_id>/timeline/", views.customer_timeline_view, name="timeline"),
    path("<int:customer_id>/delete/", views.customer_delete_view, name="delete"),
    path("<int:customer_id>/restore/", views.customer_restore_view, name="restore"),
    # contacts (联系人)
    path("<int:customer_id>/contacts/", contact_views.contacts_card_view, name="contacts"),
    path("<int:customer_id>/contacts/new/", contact_views.contact_add_view, name="contact_add"),
    path(
        "<int:customer_id>/contacts/<int:contact_id>/edit/",
        contact_views.contact_edit_view,
        name="contact_edit",
    ),
    path(
        "<int:customer_id>/contacts/<int:contact_id>/primary/",
        contact_views.contact_primary_view,
        name="contact_primary",
    ),
    path(
        "<int:customer_id>/contacts/<int:contact_id>/delete/",
        contact_views.contact_delete_view,
        name="contact_delete",
    ),
    # the public pool, transfers, duplicates and merges
    path("pool/", ownership_views.pool_view, name="pool"),
    path("pool/rules/", ownership_views.pool_policy_view, name="pool_policy"),
    path("<int:customer_id>/claim/", ownership_views.claim_view, name="claim"),
    path("<int:customer_id>/release/", ownership_views.release_view, name="release"),
    path("<int:customer_id>/transfer/", ownership_views.transfer_view, name="transfer"),
    path("transfer/", ownership_views.transfer_all_view, name="transfer_all"),
    path("duplicates/", ownership_views.duplicates_view, name="duplicates"),
    path(
        "duplicates/<int:pair_id>/dismiss/",
        ownership_views.duplicate_dismiss_view,
        name="duplicate_dismiss",
    ),
    path("<int:customer_id>/merge/<int:other_id>/", ownership_views.merge_view, name="merge"),
    path("merges/<int:merge_id>/undo/", ownership_views.merge_undo_view, name="merge_undo"),
]
