"""Doctors: register patients and choose who receives their invitations."""
