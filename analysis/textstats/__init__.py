"""textstats"""
