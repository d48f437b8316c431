"""Streamlit sidebar for support agents: workspace, audit and knowledge pages."""
