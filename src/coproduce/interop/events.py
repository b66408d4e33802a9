"""Audit event kinds written by the interop app."""

from coproduce.audit.events import register

register("redcap.records_exported", "A patient's check-in answers were written to a REDCap file.")
