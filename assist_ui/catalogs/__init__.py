"""Label catalogs of the lead pages, one module per page, merged into `assist_ui.i18n.CATALOG`."""
