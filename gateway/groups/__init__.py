"""Group sessions (Elvis group bookings, Norwegian gruppetimer) and the visits they lead to."""
