"""The process owner's pages: process list, editor, validation, deploy, versions, compare, migration."""
