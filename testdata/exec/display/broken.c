int
broken(void)
{
	int x = 1
	return x;
}
