"""Downstream of signature: contract terms, billing schedules, revenue (ASC 606) and renewals."""
