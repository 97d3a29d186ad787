"""The app's shell: the navigation bar, the error pages and the favicon.

It sits on top of the domain apps (it names their pages and reuses their access
predicates) and nothing below imports it.
"""
